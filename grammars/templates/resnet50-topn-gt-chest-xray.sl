; resnet50-topn-gt-chest-xray.sl: template; ResNet-50 on chest X-rays with infection masks, topn_gt.
;
; What it is for: the published ground-truth experiment: weights for ResNet-50's default layer
; (layer4[-1], 2048x7x7) whose map agrees with radiologists' infection masks, measured as
; the fraction of the map's top-n pixels (n = mask area) inside the infection mask (CAM-THEORY section 4, higher is better), starting from Grad-CAM on the last tier, over
; the products-and-powers grammar of ground-truth.sl.
; Inputs (not shipped, see grammars/README.md): a ResNet-50 fine-tuned on the X-rays, saved as a
; state_dict at weights/resnet50-chest-xray.pth (a torchvision resnet50 state_dict: 1000 outputs,
; or give :sycam.model as package.module:factory for another head); the images at
; data/chest-xray/images and their infection masks, same relative names, at
; data/chest-xray/infection_masks. Images with an empty mask are skipped.
; Terminals: grads pos_grads gradcampp xgrads act cic abl.
; Cost per image: one forward and one backward pass for the gradient terminals, 2048 forward
; passes for cic, 2048 passes of the tail for abl; scoring topn_gt needs no model call. Meant for a GPU machine.
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "resnet50")
(set-option :sycam.weights "weights/resnet50-chest-xray.pth")
(set-option :sycam.layer "")
(set-option :sycam.data "data/chest-xray/images")
(set-option :sycam.masks "data/chest-xray/infection_masks")
(set-option :sycam.target "predicted")
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
(set-option :sycam.time-limit 3600)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (P Real) (T Real))
  ((W Real (P (* P P) (* P (* P P))))
   (P Real (T (pow T 2) (pow T 3) (pow T 4) (relu T)))
   (T Real (grads pos_grads gradcampp xgrads act cic abl))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real grads)

(declare-oracle-fun topn_gt ((-> Real Real Real Real Real Real Real Real)) Real sycam.topn_gt)

(optimize-synth ((! (topn_gt weights) :max)))
(check-synth)
