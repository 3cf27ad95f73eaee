; Threshold against a constant: mean deletion >= 0.45 (only the mean is compared).
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

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) 0.45))
(check-synth)
