; Metric deletion_auc (pixel RISE curve, LOWER is better); threshold written with <=
; against Grad-CAM; G1 grammar. Pixel-level curves are costly: 40 images.
; Confirmation on 7 validation images (:sycam.validation), as every comparison with a
; classic method in the track asks.
; expected: valid or fail
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 40)
(set-option :sycam.tiers "10 30")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 4)
(set-option :sycam.time-limit 45)
(set-option :sycam.seed 0)
(set-option :sycam.validation 7)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real) (C Real))
  ((W Real (T (+ W W) (- W W) (* W W) (* C W) (relu W) (abs W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads gradcampp xgrads act))
   (C Real (0.5 2.0))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real)) Real grads)
(declare-oracle-fun deletion_auc ((-> Real Real Real Real Real Real)) Real sycam.deletion_auc)

(constraint (<= (deletion_auc weights) (deletion_auc gradcam)))
(check-synth)
