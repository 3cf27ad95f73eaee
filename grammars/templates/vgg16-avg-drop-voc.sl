; vgg16-avg-drop-voc.sl: template; VGG-16 on a VOC-style folder, average drop.
;
; What it is for: the published average-drop comparison: weights for VGG-16's default layer (the
; last ReLU of features, 512x14x14) whose map, used as a soft mask on the image, keeps the
; class probability highest (CAM-THEORY section 4, lower is better), starting from the best of
; the five classic methods, over the G2 grammar (paper-g2.sl).
; Inputs (not shipped, see grammars/README.md): torchvision's ImageNet weights for vgg16 saved as
; a state_dict at weights/vgg16.pth; PASCAL VOC 2012 validation images (JPEGImages listed in
; ImageSets/Main/val.txt) in one flat folder at data/voc2012/val. Labels are not used: the target
; is the predicted ImageNet class.
; Terminals: grads pos_grads gradcampp xgrads act cic abl.
; Cost per image: one forward and one backward pass for the gradient terminals, 512 forward
; passes for cic, 512 passes of the classifier tail for abl; then one forward pass per scored
; candidate (the masked image). Meant for a GPU machine.
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "vgg16")
(set-option :sycam.weights "weights/vgg16.pth")
(set-option :sycam.layer "")
(set-option :sycam.data "data/voc2012/val")
(set-option :sycam.target "predicted")
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
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

(declare-oracle-fun avg_drop ((-> Real Real Real Real Real Real Real Real)) Real sycam.avg_drop)

(optimize-synth ((! (avg_drop weights) :min)))
(check-synth)
