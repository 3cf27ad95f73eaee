; Metric avg_drop (lower is better); threshold against Grad-CAM, the comparison
; written the other way round: (>= (avg_drop gradcam) (avg_drop weights)); a grammar over the
; perturbation terminals cic, abl (and act); Score-CAM (cic) is a witness.
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
(set-option :sycam.max-size 3)
(set-option :sycam.time-limit 30)
(set-option :sycam.seed 0)
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (* W W) (* C W) (relu W) (normalize W) (pow T 2)))
   (T Real (cic abl act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real grads)
(declare-oracle-fun avg_drop ((-> Real Real Real Real Real Real Real Real)) Real sycam.avg_drop)

(constraint (>= (avg_drop gradcam) (avg_drop weights)))
(check-synth)
