"""Status images: the icons a status can show, served from static/images/icons."""

from google.cloud import ndb

# The Fugue icons (Yusuke Kamiyamane, CC BY 3.0) shipped in static/images/icons/fugue.
# scripts/extract_fugue_icons.py cuts exactly these out of the published sprite sheet.
FUGUE_ICONS = (
    "alarm-clock",
    "bell",
    "broom",
    "bug",
    "burn",
    "calendar",
    "clock",
    "construction",
    "cross",
    "cross-circle",
    "cross-octagon",
    "database",
    "exclamation",
    "exclamation-circle",
    "exclamation-diamond",
    "exclamation-octagon",
    "exclamation-red",
    "fire",
    "flag",
    "gear",
    "globe",
    "hammer",
    "heart",
    "hourglass",
    "information",
    "information-balloon",
    "lightning",
    "lock",
    "megaphone",
    "minus-circle",
    "plug",
    "plug-disconnect",
    "question",
    "server",
    "shield",
    "status",
    "status-away",
    "status-busy",
    "status-offline",
    "tick",
    "tick-circle",
    "traffic-light",
    "wrench",
)


# Icons a Stashboard 1.x board may use that the catalog does not name (models/legacy.py):
# these Fugue icons ship in static/images/icons/fugue too; an icon of another set is
# named `<set>-<file name>` (`iconic-cog`), so that a status's image name alone gives its path.
LEGACY_FUGUE_ICONS = ("hard-hat", "information-small", "information-white", "plus-circle", "question-white",
                      "traffic-cone")
OTHER_ICON_SETS = ("iconic",)
_SHIPPED = frozenset(FUGUE_ICONS)


def image_name(file_name, icon_set="fugue"):
    """The name (key id) of the icon `file_name` of `icon_set`."""
    return file_name if icon_set == "fugue" else f"{icon_set}-{file_name}"


def image_path(name, icon_set="fugue"):
    """Path of an icon below /images (statuses store only the name; the shipped set is Fugue)."""
    for other in OTHER_ICON_SETS:
        if name.startswith(f"{other}-"):
            return f"icons/{other}/{name.removeprefix(other + '-')}.png"
    return f"icons/{icon_set}/{name}.png"


class StatusImage(ndb.Model):
    """An icon a status may use; the key id is its name (`cross-circle`)."""

    icon_set = ndb.TextProperty(required=True)

    @property
    def name(self):
        """The image's name, which statuses store to refer to it."""
        return self.key.id()

    @property
    def path(self):
        """Path of the icon below /images."""
        return image_path(self.name, self.icon_set)

    @classmethod
    def catalog(cls):
        """The images every installation ships, as unsaved entities: they live in the code (and
        in static/), so a new board writes none of them; only images a 1.x migration adds are stored."""
        return [cls(id=name, icon_set="fugue") for name in FUGUE_ICONS]

    @classmethod
    def named(cls, name):
        """The image called `name`, shipped or stored; None for an unknown one."""
        return cls(id=name, icon_set="fugue") if name in _SHIPPED else cls.get_by_id(name)

    @classmethod
    def all(cls):
        """Every known image, shipped and stored, by name."""
        known = {image.name: image for image in cls.catalog()}
        known.update((image.name, image) for image in cls.query().fetch())
        return [known[name] for name in sorted(known)]

    def to_dict(self, image_url):
        """The API's Status image object."""
        return {"name": self.name, "icon_set": self.icon_set, "url": image_url(self.path)}
