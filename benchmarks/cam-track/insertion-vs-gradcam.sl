; Metric insertion (grid, higher is better); threshold against Grad-CAM; quickstart grammar;
; confirmation on 15 validation images (:sycam.validation). The quickstart terms' insertion
; scores differ by less than 20 held-out images can tell apart (the classic methods' held-out
; means are 0.0129-0.0143): under the published rule alone sycam answered pos_grads, which
; passed on the tiers and was invalid on the held-out images (0.0140 vs 0.0141).
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
(set-option :sycam.validation 15)

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(define-fun gradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real grads)
(declare-oracle-fun insertion ((-> Real Real Real Real Real)) Real sycam.insertion)

(constraint (>= (insertion weights) (insertion gradcam)))
(check-synth)
