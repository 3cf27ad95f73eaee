; Metric topn_gt (mask metric: share of the map's top pixels inside the object);
; the mask-metric grammar (products and powers of terminals, grammars/ground-truth.sl);
; threshold against Grad-CAM.
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
(declare-oracle-fun topn_gt ((-> Real Real Real Real Real Real Real Real)) Real sycam.topn_gt)

(constraint (>= (topn_gt weights) (topn_gt gradcam)))
(check-synth)
