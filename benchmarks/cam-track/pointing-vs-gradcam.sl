; Metric pointing (mask metric, 0/1 per image: the map's peak inside the object);
; threshold against Grad-CAM with the quickstart grammar, under the significance rule
; (:sycam.acceptance "significant": a Bonferroni-corrected Wilcoxon test on the last tier).
; A 0/1 metric ties on most images: under the published rule alone sycam answered pos_grads,
; which tied Grad-CAM on the held-out images (0.3000 each), so it was invalid.
; expected: valid or fail
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
(set-option :sycam.acceptance "significant")

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(define-fun gradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real grads)
(declare-oracle-fun pointing ((-> Real Real Real Real Real)) Real sycam.pointing)

(constraint (>= (pointing weights) (pointing gradcam)))
(check-synth)
