; Threshold against a constant with a strict comparison, written constant first:
; (< 0.01 (insertion weights)). The constant is below every classic method's held-out mean
; (0.0129-0.0143), so Grad-CAM is a known valid answer.
; expected: valid
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
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(declare-oracle-fun insertion ((-> Real Real Real Real Real)) Real sycam.insertion)

(constraint (< 0.01 (insertion weights)))
(check-synth)
