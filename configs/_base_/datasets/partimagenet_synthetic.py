# The tiny generated PartImageNet look-alike (same file layout as the Seg release), for
# demos and smoke tests. Create it first:
#   python tools/dataset_converters/generate_partimagenet.py data/partimagenet_synthetic
_base_ = ['./partimagenet.py']

data_root = 'data/partimagenet_synthetic/'
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root)
)
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root)
)
test_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root)
)
