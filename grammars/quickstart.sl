; quickstart.sl: a complete CAM-synthesis problem on the built-in data, finished in about a minute
; on a 2-core CPU:   sycam-solve grammars/quickstart.sl
;
; What it asks: a channel-weight expression whose CAM beats Grad-CAM on grid deletion (10 steps,
; higher is better) on at least half of the images of each tier and on the tier's mean.
; Model and data: builtin:cluttered-mnist (a 4-block GAP-CNN on 64x64 cluttered MNIST canvases
; with exact digit masks, shipped with the package; see backends/BUILTIN.md), target layer its
; default (features.block4, 64 channels on an 8x8 grid), 60 images: 15 held out for the report
; (:sycam.holdout, a quarter by default), tiers of 10, 30 and 45 on the other 45.
; Terminals: grads pos_grads xgrads act (no cic or abl, which cost a forward pass per channel).
; Cost per image: one forward and one backward pass for all four terminals together; then 10
; forward passes per scored candidate (one per deletion step, shared between candidates with the
; same cell order). Swap the oracle for sycam.topn_gt (mask agreement) to ask for localisation.
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.weights "")
(set-option :sycam.layer "")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 60)
(set-option :sycam.tiers "10 30 60")
(set-option :sycam.steps 10)
(set-option :sycam.max-size 5)
(set-option :sycam.time-limit 60)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real
  ((W Real) (T Real))
  ((W Real (T (+ W W) (* W W) (relu W) (pow T 2) (pow T 3)))
   (T Real (grads pos_grads xgrads act))))

(define-fun gradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real grads)
(define-fun xgradcam ((grads Real) (pos_grads Real) (xgrads Real) (act Real)) Real xgrads)

(declare-oracle-fun deletion ((-> Real Real Real Real Real)) Real sycam.deletion)

(constraint (>= (deletion weights) (deletion gradcam)))
(check-synth)
