"""ImageNet names of the 158 PartImageNet object classes.

Each entry is ``wnid: (name, superclass)``. ``name`` is the first synonym of the synset in
ImageNet's ``LOC_synset_mapping.txt`` (WordNet capitalisation: proper nouns keep their
capitals); ``superclass`` is one of PartImageNet's 11 super-categories.

Provenance, to be read before trusting the table:

* the 158 wnids and their part counts were taken from a public PartImageNet loader
  (chawins/adv-part-model); the per-superclass class counts they imply (46 Quadruped,
  17 Biped, 10 Fish, 14 Bird, 15 Snake, 20 Reptile, 19 Car, 6 Bicycle, 4 Boat,
  2 Aeroplane, 5 Bottle) match the PartImageNet README after its Car fix;
* the superclass of each wnid is assigned from the ImageNet taxonomy and is consistent with
  those counts, but it was not read from the released annotation files;
* names for any other wnid come from a user-provided ``LOC_synset_mapping.txt``
  (see :func:`load_synset_mapping`).

``OBJECT_NAME_OVERRIDES`` replaces rare or ambiguous first synonyms with a more common
synonym or a disambiguating phrase, because the name becomes part of the referring
expression.
"""

import os.path as osp
import re
from typing import Dict, Tuple

# wnid: (first synonym, PartImageNet superclass)
PARTIMAGENET_OBJECT_CLASSES: Dict[str, Tuple[str, str]] = {
    'n01440764': ('tench', 'Fish'),
    'n01443537': ('goldfish', 'Fish'),
    'n01484850': ('great white shark', 'Fish'),
    'n01491361': ('tiger shark', 'Fish'),
    'n01494475': ('hammerhead', 'Fish'),
    'n01608432': ('kite', 'Bird'),
    'n01614925': ('bald eagle', 'Bird'),
    'n01630670': ('common newt', 'Reptile'),
    'n01632458': ('spotted salamander', 'Reptile'),
    'n01641577': ('bullfrog', 'Reptile'),
    'n01644373': ('tree frog', 'Reptile'),
    'n01644900': ('tailed frog', 'Reptile'),
    'n01664065': ('loggerhead', 'Reptile'),
    'n01665541': ('leatherback turtle', 'Reptile'),
    'n01667114': ('mud turtle', 'Reptile'),
    'n01667778': ('terrapin', 'Reptile'),
    'n01669191': ('box turtle', 'Reptile'),
    'n01685808': ('whiptail', 'Reptile'),
    'n01687978': ('agama', 'Reptile'),
    'n01688243': ('frilled lizard', 'Reptile'),
    'n01689811': ('alligator lizard', 'Reptile'),
    'n01692333': ('Gila monster', 'Reptile'),
    'n01693334': ('green lizard', 'Reptile'),
    'n01694178': ('African chameleon', 'Reptile'),
    'n01695060': ('Komodo dragon', 'Reptile'),
    'n01697457': ('African crocodile', 'Reptile'),
    'n01698640': ('American alligator', 'Reptile'),
    'n01728572': ('thunder snake', 'Snake'),
    'n01728920': ('ringneck snake', 'Snake'),
    'n01729322': ('hognose snake', 'Snake'),
    'n01729977': ('green snake', 'Snake'),
    'n01734418': ('king snake', 'Snake'),
    'n01735189': ('garter snake', 'Snake'),
    'n01739381': ('vine snake', 'Snake'),
    'n01740131': ('night snake', 'Snake'),
    'n01742172': ('boa constrictor', 'Snake'),
    'n01744401': ('rock python', 'Snake'),
    'n01748264': ('Indian cobra', 'Snake'),
    'n01749939': ('green mamba', 'Snake'),
    'n01753488': ('horned viper', 'Snake'),
    'n01755581': ('diamondback', 'Snake'),
    'n01756291': ('sidewinder', 'Snake'),
    'n01824575': ('coucal', 'Bird'),
    'n01828970': ('bee eater', 'Bird'),
    'n01843065': ('jacamar', 'Bird'),
    'n01855672': ('goose', 'Bird'),
    'n02002724': ('black stork', 'Bird'),
    'n02006656': ('spoonbill', 'Bird'),
    'n02009229': ('little blue heron', 'Bird'),
    'n02009912': ('American egret', 'Bird'),
    'n02017213': ('European gallinule', 'Bird'),
    'n02025239': ('ruddy turnstone', 'Bird'),
    'n02033041': ('dowitcher', 'Bird'),
    'n02058221': ('albatross', 'Bird'),
    'n02071294': ('killer whale', 'Fish'),
    'n02085782': ('Japanese spaniel', 'Quadruped'),
    'n02089867': ('Walker hound', 'Quadruped'),
    'n02090379': ('redbone', 'Quadruped'),
    'n02091831': ('Saluki', 'Quadruped'),
    'n02092339': ('Weimaraner', 'Quadruped'),
    'n02096177': ('cairn', 'Quadruped'),
    'n02096585': ('Boston bull', 'Quadruped'),
    'n02097474': ('Tibetan terrier', 'Quadruped'),
    'n02098105': ('soft-coated wheaten terrier', 'Quadruped'),
    'n02099601': ('golden retriever', 'Quadruped'),
    'n02100583': ('vizsla', 'Quadruped'),
    'n02101006': ('Gordon setter', 'Quadruped'),
    'n02101388': ('Brittany spaniel', 'Quadruped'),
    'n02102040': ('English springer', 'Quadruped'),
    'n02102973': ('Irish water spaniel', 'Quadruped'),
    'n02109525': ('Saint Bernard', 'Quadruped'),
    'n02109961': ('Eskimo dog', 'Quadruped'),
    'n02112137': ('chow', 'Quadruped'),
    'n02114367': ('timber wolf', 'Quadruped'),
    'n02120079': ('Arctic fox', 'Quadruped'),
    'n02124075': ('Egyptian cat', 'Quadruped'),
    'n02125311': ('cougar', 'Quadruped'),
    'n02128385': ('leopard', 'Quadruped'),
    'n02129604': ('tiger', 'Quadruped'),
    'n02130308': ('cheetah', 'Quadruped'),
    'n02132136': ('brown bear', 'Quadruped'),
    'n02133161': ('American black bear', 'Quadruped'),
    'n02134084': ('ice bear', 'Quadruped'),
    'n02134418': ('sloth bear', 'Quadruped'),
    'n02356798': ('fox squirrel', 'Quadruped'),
    'n02397096': ('warthog', 'Quadruped'),
    'n02403003': ('ox', 'Quadruped'),
    'n02408429': ('water buffalo', 'Quadruped'),
    'n02412080': ('ram', 'Quadruped'),
    'n02415577': ('bighorn', 'Quadruped'),
    'n02417914': ('ibex', 'Quadruped'),
    'n02422106': ('hartebeest', 'Quadruped'),
    'n02422699': ('impala', 'Quadruped'),
    'n02423022': ('gazelle', 'Quadruped'),
    'n02437312': ('Arabian camel', 'Quadruped'),
    'n02441942': ('weasel', 'Quadruped'),
    'n02442845': ('mink', 'Quadruped'),
    'n02443114': ('polecat', 'Quadruped'),
    'n02444819': ('otter', 'Quadruped'),
    'n02447366': ('badger', 'Quadruped'),
    'n02480495': ('orangutan', 'Biped'),
    'n02480855': ('gorilla', 'Biped'),
    'n02481823': ('chimpanzee', 'Biped'),
    'n02483362': ('gibbon', 'Biped'),
    'n02483708': ('siamang', 'Biped'),
    'n02484975': ('guenon', 'Biped'),
    'n02486261': ('patas', 'Biped'),
    'n02486410': ('baboon', 'Biped'),
    'n02487347': ('macaque', 'Biped'),
    'n02488702': ('colobus', 'Biped'),
    'n02489166': ('proboscis monkey', 'Biped'),
    'n02490219': ('marmoset', 'Biped'),
    'n02492035': ('capuchin', 'Biped'),
    'n02492660': ('howler monkey', 'Biped'),
    'n02493509': ('titi', 'Biped'),
    'n02493793': ('spider monkey', 'Biped'),
    'n02494079': ('squirrel monkey', 'Biped'),
    'n02510455': ('giant panda', 'Quadruped'),
    'n02514041': ('barracouta', 'Fish'),
    'n02536864': ('coho', 'Fish'),
    'n02607072': ('anemone fish', 'Fish'),
    'n02655020': ('puffer', 'Fish'),
    'n02690373': ('airliner', 'Aeroplane'),
    'n02701002': ('ambulance', 'Car'),
    'n02814533': ('beach wagon', 'Car'),
    'n02823428': ('beer bottle', 'Bottle'),
    'n02835271': ('bicycle-built-for-two', 'Bicycle'),
    'n02930766': ('cab', 'Car'),
    'n03100240': ('convertible', 'Car'),
    'n03417042': ('garbage truck', 'Car'),
    'n03444034': ('go-kart', 'Car'),
    'n03445924': ('golfcart', 'Car'),
    'n03594945': ('jeep', 'Car'),
    'n03670208': ('limousine', 'Car'),
    'n03769881': ('minibus', 'Car'),
    'n03770679': ('minivan', 'Car'),
    'n03785016': ('moped', 'Bicycle'),
    'n03791053': ('motor scooter', 'Bicycle'),
    'n03792782': ('mountain bike', 'Bicycle'),
    'n03937543': ('pill bottle', 'Bottle'),
    'n03947888': ('pirate', 'Boat'),
    'n03977966': ('police van', 'Car'),
    'n03983396': ('pop bottle', 'Bottle'),
    'n04037443': ('racer', 'Car'),
    'n04065272': ('recreational vehicle', 'Car'),
    'n04146614': ('school bus', 'Car'),
    'n04147183': ('schooner', 'Boat'),
    'n04252225': ('snowplow', 'Car'),
    'n04285008': ('sports car', 'Car'),
    'n04465501': ('tractor', 'Car'),
    'n04482393': ('tricycle', 'Bicycle'),
    'n04483307': ('trimaran', 'Boat'),
    'n04487081': ('trolleybus', 'Car'),
    'n04509417': ('unicycle', 'Bicycle'),
    'n04552348': ('warplane', 'Aeroplane'),
    'n04557648': ('water bottle', 'Bottle'),
    'n04591713': ('wine bottle', 'Bottle'),
    'n04612504': ('yawl', 'Boat'),
}

# Names that would read badly in an expression: rare words, misleading first synonyms.
OBJECT_NAME_OVERRIDES: Dict[str, str] = {
    'n01494475': 'hammerhead shark',
    'n01664065': 'loggerhead turtle',
    'n01755581': 'diamondback rattlesnake',
    'n02090379': 'redbone coonhound',
    'n02096177': 'cairn terrier',
    'n02096585': 'Boston terrier',
    'n02102040': 'English springer spaniel',
    'n02112137': 'chow chow',
    'n02134084': 'polar bear',
    'n02486261': 'patas monkey',
    'n02488702': 'colobus monkey',
    'n02493509': 'titi monkey',
    'n02536864': 'coho salmon',
    'n02655020': 'pufferfish',
    'n02814533': 'station wagon',
    'n02930766': 'taxi',
    'n03445924': 'golf cart',
    'n03947888': 'pirate ship',
    'n04037443': 'race car',
}

_WNID = re.compile(r'n\d{8}')


def is_wnid(text: str) -> bool:
    """Whether ``text`` is a WordNet id such as ``n01440764``."""
    return _WNID.fullmatch(text) is not None


def load_synset_mapping(path: str) -> Dict[str, str]:
    """Read ImageNet's ``LOC_synset_mapping.txt`` into ``wnid -> first synonym``.

    Each line is ``<wnid> <synonym>[, <synonym>...]``.

    Args:
        path (str): Path of the mapping file.

    Returns:
        dict[str, str]: The first synonym of every wnid in the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"synset mapping file not found: {path!r} (expected ImageNet's LOC_synset_mapping.txt)"
        )
    names = {}
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            wnid, _, synonyms = line.partition(' ')
            first = synonyms.split(',')[0].strip()
            if not is_wnid(wnid) or not first:
                raise ValueError(f'{path}:{line_no}: expected "<wnid> <name>, ...", got {line!r}')
            names[wnid] = first
    return names
