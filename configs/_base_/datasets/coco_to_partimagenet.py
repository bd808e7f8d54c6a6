# COCO class -> PartImageNet superclass (many to one), for the Mask R-CNN baselines that
# answer a part query with the detected objects of the part's superclass
# (refseg.PartMaskRCNNMetric's object_class_map). Biped, Fish, Snake and Reptile have no
# COCO class. A second base next to a full config: it only defines this name.
coco_to_partimagenet = dict(
    dog='Quadruped',
    cat='Quadruped',
    horse='Quadruped',
    sheep='Quadruped',
    cow='Quadruped',
    bear='Quadruped',
    zebra='Quadruped',
    giraffe='Quadruped',
    elephant='Quadruped',
    bird='Bird',
    car='Car',
    truck='Car',
    bus='Car',
    bicycle='Bicycle',
    motorcycle='Bicycle',
    boat='Boat',
    airplane='Aeroplane',
    bottle='Bottle',
)
