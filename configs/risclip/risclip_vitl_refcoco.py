# RISCLIP-L (frozen CLIP ViT-L/14) on RefCOCO (UNC partition), stage 2 of 2: as
# risclip_vitb_refcoco.py with the ViT-L/14 model. Both stages in a row:
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcoco.py 4
_base_ = ['./risclip_vitb_refcoco.py', '../_base_/models/risclip_vitl14.py']
model = _base_.risclip_vitl14
