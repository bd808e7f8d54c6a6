from .clip_pretrainer import CLIPPretrainer, clip_contrastive_loss

__all__ = ['CLIPPretrainer', 'clip_contrastive_loss']
