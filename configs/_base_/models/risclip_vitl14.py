# RISCLIP-L: RISCLIP-B (risclip_vitb16.py) with OpenAI CLIP ViT-L/14.
# ViT-L/14 has 24 image blocks but 12 text blocks; CFE-X pairs image blocks 18..23 with
# text blocks 6..11 (0-based) by default. 448 px input: 32 x 32 patches.
_base_ = ['./risclip_vitb16.py']

vitl14_checkpoint = 'pretrain/ViT-L-14.pt'  # OpenAI archive; any source CLIPPretrained reads
model = dict(
    backbone=dict(
        patch_size=14,
        width=1024,
        layers=24,
        heads=16,
        output_dim=768,
        init_cfg=dict(checkpoint=vitl14_checkpoint),
    ),
    text_encoder=dict(
        width=768, heads=12, embed_dim=768, init_cfg=dict(checkpoint=vitl14_checkpoint)
    ),
    cfe=dict(shared_dims=768, num_heads=12),
    ske=dict(num_heads=12),
    feature_levels=(7, 15, 23),  # blocks 8, 16, 24 feed the decoder
    decode_head=dict(image_dims=1024, embed_dims=768),
)
