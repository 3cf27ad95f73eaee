; Class decomposition in optimise mode (:max insertion), G1 plus class; fail when
; nothing beats the best baseline on the search images.
; expected: valid or fail
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 80)
(set-option :sycam.tiers "10 30")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 3)
(set-option :sycam.time-limit 45)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (class Int)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (- W W) (* W W) (* C W) (relu W) (abs W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (class Int)) Real grads)
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (class Int)) Real gradcampp)
(declare-oracle-fun insertion ((-> Real Real Real Real Real Int Real)) Real sycam.insertion)

(optimize-synth ((! (insertion weights) :max)))
(check-synth)
