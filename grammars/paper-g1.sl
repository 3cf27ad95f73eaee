; paper-g1.sl: G1, the gradient-only grammar of metric-guided CAM synthesis (Luque-Cerpa, Polgreen,
; Rajan, Torfah, "Metric-Guided Synthesis of Class Activation Mapping", 2025), as reconstructed here.
;
; What it is for: searching CAM weights built from what one backward pass gives, i.e. the space
; around Grad-CAM, Grad-CAM++ and XGrad-CAM. It is a complete problem on the built-in data
; (sycam-solve grammars/paper-g1.sl): optimise grid deletion, starting from the best of the three
; gradient baselines. To use G1 elsewhere, copy the synth-fun and the baselines into your problem.
; Reconstruction: the paper describes G1 in prose (terminals, arithmetic, powers); the exact
; production list and constants are ours (the constants 0.5 and 2.0 are scaling choices inside
; sums; a positive factor alone never changes a map).
; Terminals: grads pos_grads gradcampp xgrads act (CAM-THEORY section 3).
; Cost per image: one forward and one backward pass for all five terminals together; then each
; scored candidate costs the metric's passes (grid deletion: :sycam.steps, 10 here).
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

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T
            (+ W W) (- W W) (* W W) (* C W)
            (relu W) (abs W)
            (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real grads)
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real gradcampp)
(define-fun xgradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real xgrads)

(declare-oracle-fun deletion ((-> Real Real Real Real Real Real)) Real sycam.deletion)

(optimize-synth ((! (deletion weights) :max)))
(check-synth)
