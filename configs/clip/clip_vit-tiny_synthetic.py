# A tiny CLIP ViT (the frozen image tower of configs/synthetic/risclip_tiny_synthetic*.py)
# and text transformer, pretrained from scratch with CLIP's contrastive loss on the
# synthetic world's image-text pairs.
#   python tools/train.py configs/clip/clip_vit-tiny_synthetic.py
#   python tools/model_converters/clip_refseg_to_openai.py \
#       work_dirs/clip_vit-tiny_synthetic/iter_200.pth pretrain/clip_vit-tiny_synthetic.pth
# The exported file loads into RISCLIP through init_cfg=dict(type='CLIPPretrained', ...).
_base_ = ['./clip_rn-tiny_synthetic.py']

img_size = 96  # 12 x 12 patches of 8 px
model = dict(
    visual=dict(
        _delete_=True,
        type='CLIPVisionTransformer',
        input_resolution=img_size,
        patch_size=8,
        width=64,
        layers=4,
        heads=4,
        output_dim=64,
    )
)

# On whole images the ViT's image embeddings stayed (at lr 2e-3: collapsed to) one vector:
# the loss sat at ln(64), the chance level of a batch of 64, for 40 iterations at lr 5e-4
# as well. Object captions paired with a crop around their object give it images that
# differ from the start; scene captions keep the whole image.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_dataloader = dict(dataset=dict(object_view='crop'))
val_dataloader = dict(dataset=dict(object_view='crop'))
test_dataloader = dict(dataset=dict(object_view='crop'))
