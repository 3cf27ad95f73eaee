; Needs the `photos` extra: EfficientNet-Lite0 on the built-in photos; optimise insertion
; (:max) with G1 from the best of Grad-CAM, Grad-CAM++ and XGrad-CAM.
; expected: valid or fail
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:imagenet-photos")
(set-option :sycam.data "builtin:imagenet-photos")
(set-option :sycam.images 9)
(set-option :sycam.tiers "3 7")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 3)
(set-option :sycam.time-limit 60)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (- W W) (* W W) (* C W) (relu W) (abs W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real grads)
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real gradcampp)
(define-fun xgradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real xgrads)
(declare-oracle-fun insertion ((-> Real Real Real Real Real Real)) Real sycam.insertion)

(optimize-synth ((! (insertion weights) :max)))
(check-synth)
