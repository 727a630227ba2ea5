"""What the image library tells the apps that show its pictures.

``image_changed`` is sent after a change to a picture already in the library
commits: its text or file edited, or the picture deleted. Whatever keeps a copy
of a library picture (a cached page, the clinic's cached identity with its
photo) is stale then. The library does not know who shows its pictures: the
clinic app, which uses the library, listens (clinic/apps.py), so the
dependency points one way.
"""

from django.dispatch import Signal

image_changed = Signal()
