# configs/synthetic/cris_tiny_synthetic.py cut down to seconds for the tool tests: 9 small
# synthetic images generated under the current folder, 1 epoch, 2 images a batch.
_base_ = ['../../../configs/synthetic/cris_tiny_synthetic.py']

data_root = 'data/synthetic_quick'
generate_cfg = dict(num_images=9, image_size=(64, 64), seed=0)
loader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, generate_cfg=generate_cfg))
# drop_last: a last batch of 1 image would break BatchNorm.
train_dataloader = dict(loader, drop_last=True)
val_dataloader = loader
test_dataloader = loader

train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
