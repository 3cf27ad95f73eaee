; A finite grammar (four terms) that cannot reach mean deletion >= 0.99: the enumerator
; exhausts it and the answer is infeasible.
; expected: infeasible
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
  ((W Real (T (* T T)))
   (T Real (grads xgrads))))

(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) 0.99))
(check-synth)
