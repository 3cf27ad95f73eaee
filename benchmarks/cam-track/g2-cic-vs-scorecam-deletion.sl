; G2 with Score-CAM's cic: threshold against Score-CAM on deletion.
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
(set-option :sycam.max-size 3)
(set-option :sycam.time-limit 45)
(set-option :sycam.seed 0)
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (- W W) (* W W) (* C W) (relu W) (abs W) (normalize W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act cic abl (topk grads 10) (topk grads 50)))
   (C Real (0.5 2.0))))

(define-fun scorecam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real cic)
(declare-oracle-fun deletion ((-> Real Real Real Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion scorecam)))
(check-synth)
