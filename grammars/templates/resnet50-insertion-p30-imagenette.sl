; resnet50-insertion-p30-imagenette.sl: template; ResNet-50 on an Imagenette-style folder, grid insertion with P = 30.
;
; What it is for: the published comparison on ImageNet classes: synthesise weights for ResNet-50's
; default layer (layer4[-1], 2048x7x7) that maximise grid insertion (30 cells of the feature grid
; replaced, CAM-THEORY section 4), starting from the best of Grad-CAM, Grad-CAM++, XGrad-CAM,
; Score-CAM and Ablation-CAM on the last tier, over the G2 grammar (paper-g2.sl).
; Inputs (not shipped, see grammars/README.md): torchvision's ImageNet weights for resnet50 saved as
; a state_dict at weights/resnet50.pth; Imagenette's validation images in class sub-folders at
; data/imagenette/val. Paths are relative to where sycam-solve runs; edit them to yours.
; Terminals: grads pos_grads gradcampp xgrads act cic abl.
; Cost per image: one forward and one backward pass for the gradient terminals, 2048 forward passes
; for cic, 2048 passes of the tail after the layer for abl; then 30 forward passes per scored
; candidate (fewer when candidates share a cell order). Meant for a GPU machine.
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "resnet50")
(set-option :sycam.weights "weights/resnet50.pth")
(set-option :sycam.layer "")
(set-option :sycam.data "data/imagenette/val")
(set-option :sycam.target "predicted")
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
(set-option :sycam.steps 30)
(set-option :sycam.time-limit 3600)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T
            (+ W W) (- W W) (* W W) (* C W)
            (relu W) (abs W) (normalize W)
            (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act cic abl
            (topk grads 10) (topk grads 50) (topk grads 200)))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real grads)
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real gradcampp)
(define-fun xgradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real xgrads)
(define-fun scorecam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real cic)
(define-fun ablationcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real abl)

(declare-oracle-fun insertion ((-> Real Real Real Real Real Real Real Real)) Real sycam.insertion)

(optimize-synth ((! (insertion weights) :max)))
(check-synth)
