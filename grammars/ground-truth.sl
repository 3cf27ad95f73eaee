; ground-truth.sl: products and powers of terminals, for metrics that compare a map with an
; expert's object mask (sycam.topn_gt, sycam.sch, sycam.pointing).
;
; What it is for: the expressions that do best on mask agreement sharpen a map: powers of one
; terminal (squaring concentrates the weight on the strongest channels) and products of two
; (channels both scores agree on). A complete problem on the built-in data, whose canvases carry
; exact digit masks (sycam-solve grammars/ground-truth.sl): beat Grad-CAM on topn_gt.
; Data must have masks (:sycam.masks, or a built-in data set that has them).
; Terminals: grads pos_grads gradcampp xgrads act cic abl (CAM-THEORY section 3).
; Cost per image: one forward and one backward pass for the five gradient terminals, K forward
; passes for cic and K passes of the network's tail for abl (K = 64 channels on the built-in
; model). Scoring topn_gt, sch or pointing costs no model call at all: only the map and the mask.
(set-logic SYCAM)
(set-feature :oracles true)
(set-option :sycam.model "builtin:cluttered-mnist")
(set-option :sycam.weights "")
(set-option :sycam.layer "")
(set-option :sycam.data "builtin:cluttered-mnist")
(set-option :sycam.images 300)
(set-option :sycam.tiers "30 100 300")
(set-option :sycam.time-limit 600)
(set-option :sycam.seed 0)

(synth-fun weights ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  ((W Real) (P Real) (T Real))
  ((W Real (P (* P P) (* P (* P P))))
   (P Real (T (pow T 2) (pow T 3) (pow T 4) (relu T)))
   (T Real (grads pos_grads gradcampp xgrads act cic abl))))

(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real grads)

(declare-oracle-fun topn_gt ((-> Real Real Real Real Real Real Real Real)) Real sycam.topn_gt)

(constraint (>= (topn_gt weights) (topn_gt gradcam)))
(check-synth)
