; baselines.sl: the classic CAM methods as SYCAM weight expressions, the one source of truth for
; what "Grad-CAM", "Score-CAM", ... mean in this project (CAM-THEORY sections 1 and 3).
;
; Format (read by path, e.g. by reports, and copied into problems as baselines):
;   (set-logic SYCAM), then one define-fun per method;
;   every define-fun takes the eight Real terminals, in the order of sycam_sygus/logic.py
;   TERMINALS: grads pos_grads gradcampp xgrads act eigen cic abl;
;   the define-fun's name is the method's identifier; among the comment lines right above it,
;   "; display: NAME" gives the name reports print (sycam_sygus/baselines.py reads it) and
;   "; source: ..." where the method was published;
;   the body is the method's channel weights; the CAM template (ReLU of the weighted sum,
;   upsampling, min-max normalisation) is applied by the backend and is not part of it.
; A problem uses a baseline by declaring a define-fun of the same body with its synth-fun's
; exact parameter list (a baseline's signature must equal the synth-fun's).
; Terminals: grads pos_grads gradcampp xgrads act eigen cic abl (all eight).
; Cost per image: gradcam, gradcampp, xgradcam and eigencam one forward and one backward pass together;
; scorecam K forward passes (cic); ablationcam K passes of the network's tail (abl); K = channels.
(set-logic SYCAM)

; display: Grad-CAM
; source: Selvaraju et al., 2017
(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  grads)
; display: Grad-CAM++
; source: Chattopadhyay et al., 2018
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  gradcampp)
; display: XGrad-CAM
; source: Fu et al., 2020
(define-fun xgradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  xgrads)
; display: EigenCAM
; source: Muhammad and Yeasin, 2020
(define-fun eigencam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  eigen)
; display: Score-CAM
; source: Wang et al., 2020
(define-fun scorecam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  cic)
; display: Ablation-CAM
; source: Ramaswamy et al., 2020
(define-fun ablationcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (eigen Real) (cic Real) (abl Real)) Real
  abl)
