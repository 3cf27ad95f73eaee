; paper-g2.sl: G2, G1 widened with Score-CAM's and Ablation-CAM's channel scores and top-k
; gradients (Luque-Cerpa, Polgreen, Rajan, Torfah, "Metric-Guided Synthesis of Class Activation
; Mapping", 2025), as reconstructed here.
;
; What it is for: searching across the gradient family and the perturbation family at once, the
; space in which the paper compares against Grad-CAM, Grad-CAM++, XGrad-CAM, Score-CAM and
; Ablation-CAM. A complete problem on the built-in data (sycam-solve grammars/paper-g2.sl):
; optimise grid insertion, starting from the best of the five baselines.
; Reconstruction: the published G2 has these seven terminals and top-k variants of the gradient
; weights, but its exact productions and constants (the k of top-k, the scaling constants) are
; not recoverable from the paper; k = 10, 50, 200 here (k >= K keeps every channel: on the
; built-in 64-channel model `(topk grads 200)` equals grads and is pruned as a duplicate).
; Terminals: grads pos_grads gradcampp xgrads act cic abl (CAM-THEORY section 3).
; Cost per image: one forward and one backward pass for the five gradient terminals, plus K
; forward passes for cic (one masked image per channel) and K for abl (only the network after
; the target layer is re-run where the model allows); K = 64 on builtin:cluttered-mnist, 2048 on
; ResNet-50, 512 on VGG. Each scored candidate then costs the metric's passes (:sycam.steps).
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.weights "")
(set-option :sycam.layer "")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
(set-option :sycam.steps 10)
(set-option :sycam.time-limit 600)
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
