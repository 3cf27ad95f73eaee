; A finite grammar and an unreachable 0/1 threshold (mean pointing > 1):
; expected infeasible.
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

(declare-oracle-fun pointing ((-> Real Real Real Real Real)) Real sycam.pointing)

(constraint (> (pointing weights) 1.0))
(check-synth)
