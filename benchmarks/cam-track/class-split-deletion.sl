; Class decomposition: the synth-fun takes an Int `class`; one search per predicted
; class with enough images, joined by the engine's (ite (= class c) ...) case split, whose
; parts the grammar derives. Threshold against Grad-CAM on deletion; G1.
; Confirmation on 15 validation images (:sycam.validation), as every comparison with a
; classic method in the track asks.
; expected: valid
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 80)
(set-option :sycam.tiers "10 30")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 4)
(set-option :sycam.time-limit 45)
(set-option :sycam.seed 0)
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (class Int)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (- W W) (* W W) (* C W) (relu W) (abs W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (class Int)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real Real Real Int Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
