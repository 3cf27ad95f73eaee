; Metric deletion (grid, higher is better); threshold against a baseline (Grad-CAM);
; the quickstart grammar.
; Confirmation on 15 validation images (:sycam.validation), as every comparison with a
; classic method in the track asks.
; expected: valid
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 80)
(set-option :sycam.tiers "20 60")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 5)
(set-option :sycam.time-limit 30)
(set-option :sycam.seed 0)
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(define-fun gradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
