; baselines.sl: the classic CAM methods as SYCAM weight expressions, the one source of truth for
; what "Grad-CAM", "Score-CAM", ... mean in this project (CAM-THEORY sections 1 and 3).
;
; Format (read by path, e.g. by reports, and copied into problems as baselines):
;   (set-logic SYCAM), then one define-fun per method;
;   every define-fun takes the seven Real terminals, in the order of sycam_sygus/logic.py
;   TERMINALS: grads pos_grads gradcampp xgrads act cic abl;
;   the define-fun's name is the method's identifier, the comment line above it its display
;   name and source;
;   the body is the method's channel weights; the CAM template (ReLU of the weighted sum,
;   upsampling, min-max normalisation) is applied by the backend and is not part of it.
; A problem uses a baseline by declaring a define-fun of the same body with its synth-fun's
; exact parameter list (a baseline's signature must equal the synth-fun's).
; Terminals: grads pos_grads gradcampp xgrads act cic abl (all seven).
; Cost per image: gradcam, gradcampp and xgradcam one forward and one backward pass together;
; scorecam K forward passes (cic); ablationcam K passes of the network's tail (abl); K = channels.
(set-logic SYCAM)

; Grad-CAM (Selvaraju et al., 2017)
(define-fun gradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  grads)
; Grad-CAM++ (Chattopadhyay et al., 2018)
(define-fun gradcampp ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  gradcampp)
; XGrad-CAM (Fu et al., 2020)
(define-fun xgradcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  xgrads)
; Score-CAM (Wang et al., 2020)
(define-fun scorecam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  cic)
; Ablation-CAM (Ramaswamy et al., 2020)
(define-fun ablationcam ((grads Real) (pos_grads Real) (gradcampp Real) (xgrads Real) (act Real) (cic Real) (abl Real)) Real
  abl)
