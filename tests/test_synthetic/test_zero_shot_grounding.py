"""tools/analysis_tools/zero_shot_grounding.py: pixel cosine maps and object choices."""

import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

from refseg.registry import DATASETS, MODELS
from refseg.synthetic.world import COLOURS_RGB
from script_loader import load_script

REPO = osp.join(osp.dirname(__file__), '..', '..')
CLIP_CONFIG = osp.join(REPO, 'configs', 'clip', 'clip_rn-tiny_synthetic.py')


@pytest.fixture(scope='module')
def tool():
    module = load_script('tools/analysis_tools/zero_shot_grounding.py')
    module._import_heavy()
    init_default_scope('refseg')
    return module


class ColourCLIP:
    """Stands in for a CLIP that knows colours and nothing else: a crop embeds as the
    one-hot colour of the saturated pixels at its centre, an expression as the one-hot
    colour it names (zero when it names none)."""

    colours = np.array(list(COLOURS_RGB.values()), dtype=np.float32)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor([122.7709, 116.7460, 104.0937]).view(1, 3, 1, 1)
        std = torch.tensor([68.5005, 66.6322, 70.3232]).view(1, 3, 1, 1)
        rgb = (images * std + mean).permute(0, 2, 3, 1).numpy()  # the tool feeds RGB
        embeds = []
        for view in rgb:
            height, width = view.shape[:2]
            centre = view[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
            pixels = centre.reshape(-1, 3)
            pixels = pixels[pixels.max(1) - pixels.min(1) > 60]  # the background is grey
            colour = np.median(pixels, 0)
            nearest = np.linalg.norm(self.colours - colour, axis=1).argmin()
            embeds.append(F.one_hot(torch.tensor(nearest), len(self.colours)).float())
        return torch.stack(embeds)

    def encode_text(self, texts):
        embeds = torch.zeros(len(texts), len(self.colours))
        for row, text in enumerate(texts):
            for index, name in enumerate(COLOURS_RGB):
                if name in text.split():
                    embeds[row, index] = 1.0
        return embeds


def _split(root, pipeline):
    return DATASETS.build(
        dict(
            type='RefCOCODataset',
            data_root=root,
            split='val',
            sentence_mode='all',
            test_mode=True,
            pipeline=pipeline,
        )
    )


def _objects_of(tool, annotations):
    return lambda image_id, height, width: tool.image_objects(annotations[image_id], height, width)


def test_crop_choice_embeds_each_object_of_the_image(tool, world_root):
    """The crops are the annotated objects: a CLIP that reads only colours always answers
    an object of a colour the expression names, and without the text it rarely does."""
    dataset = _split(
        world_root,
        [dict(type='LoadImageFromFile'), dict(type='LoadRefMask'), dict(type='PackRefSegInputs')],
    )
    annotations = tool.annotations_by_image(world_root, 'refcoco/instances.json')
    objects_of = _objects_of(tool, annotations)
    with_text = tool.choose_by_crop(ColourCLIP(), dataset, 64, 0.5, False, objects_of)
    without = tool.choose_by_crop(ColourCLIP(), dataset, 64, 0.5, True, objects_of)
    assert len(with_text) == len(without) == len(dataset)

    def answered_colour(index, sample):
        image_anns = annotations[dataset.get_data_info(index)['image_id']]
        objects = tool.image_objects(image_anns, *sample['gt'].shape)
        matches = [k for k, (_, mask) in enumerate(objects) if (mask == sample['pred']).all()]
        assert len(matches) == 1  # the answer is one whole annotated object
        return image_anns[matches[0]]['attributes']['colour']

    named = {
        i: set(sample['text'].split()) & set(COLOURS_RGB) for i, sample in enumerate(with_text)
    }
    named = {i: colours for i, colours in named.items() if colours}
    assert len(named) > 20
    assert all(answered_colour(i, with_text[i]) in named[i] for i in named)
    blind = np.mean([answered_colour(i, without[i]) in named[i] for i in named])
    assert blind < 0.7, blind


@pytest.fixture(scope='module')
def random_clip(tmp_path_factory):
    """A random tiny CLIP ResNet exported in the OpenAI layout."""
    folder = tmp_path_factory.mktemp('clip')
    pretrainer = MODELS.build(Config.fromfile(CLIP_CONFIG).model)
    source, exported = str(folder / 'pretrainer.pth'), str(folder / 'clip.pth')
    torch.save(dict(state_dict=pretrainer.state_dict()), source)
    load_script('tools/model_converters/clip_refseg_to_openai.py').main([source, exported])
    return exported


@pytest.mark.parametrize('mode', [[], ['--objects', 'map'], ['--objects', 'crop']])
def test_cli_scores_every_val_expression(tool, world_root, random_clip, mode, capsys):
    tool.main(
        [CLIP_CONFIG, random_clip, '--data-root', world_root, '--img-size', '128']
        + ['--splits', 'val']
        + mode
    )
    table = capsys.readouterr().out.strip().splitlines()
    expressions = len(_split(world_root, []))
    split, miou, oiou, prec50, count = [cell.strip() for cell in table[-1].strip('|').split('|')]
    assert split == 'val' and int(count) == expressions
    assert 0 <= float(miou) <= 100 and 0 <= float(oiou) <= 100
    if mode:  # a whole object is either the referent (IoU 1) or another object (IoU < 0.5)
        assert float(miou) == pytest.approx(float(prec50), abs=1.0)


def test_objects_need_annotations(tool, world_root, random_clip, tmp_path):
    empty = tmp_path / 'instances.json'
    empty.write_text('{"images": [], "annotations": [], "categories": []}')
    with pytest.raises(ValueError, match='no decodable object'):
        tool.main(
            [CLIP_CONFIG, random_clip, '--data-root', world_root, '--splits', 'val']
            + ['--objects', 'map', '--ann-file', str(empty)]
        )


def test_objects_take_no_threshold(tool, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args([CLIP_CONFIG, 'clip.pth', '--objects', 'crop', '--threshold', '0.5'])
    assert '--threshold applies to the pixel map' in capsys.readouterr().err
