# RISCLIP-L on RefCOCOg (UMD partition), stage 1 of 2:
# risclip_vitb_refcocog-umd_stage1.py with the ViT-L/14 model.
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitl_refcocog-umd.py 4
_base_ = ['./risclip_vitb_refcocog-umd_stage1.py', '../_base_/models/risclip_vitl14.py']
model = _base_.risclip_vitl14
