; Metric sch (mask metric: share of the map's mass inside the object); the mask-metric
; grammar; threshold against Grad-CAM. No valid answer is known: Grad-CAM has the best sch of
; the classic methods here, xgrads gives the same maps (a tie is not better), and every other
; term of size 1-2 we scored (the terminals, their powers, relu) is worse on the held-out images.
; Confirmation on 15 validation images (:sycam.validation), as every comparison with a
; classic method in the track asks.
; expected: valid or fail
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 80)
(set-option :sycam.tiers "20 60")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 4)
(set-option :sycam.time-limit 30)
(set-option :sycam.seed 0)
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (P Real) (T Real))
  ((W Real (P (* P P) (* P (* P P))))
   (P Real (T (pow T 2) (pow T 3) (pow T 4) (relu T)))
   (T Real (grads pos_grads gradcampp xgrads act cic abl))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real grads)
(declare-oracle-fun sch ((-> Real Real Real Real Real Real Real Real)) Real sycam.sch)

(constraint (>= (sch weights) (sch gradcam)))
(check-synth)
