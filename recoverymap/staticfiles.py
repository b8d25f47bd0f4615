"""Static files for production: whitenoise's hashed and compressed storage, except that
``sourceMappingURL`` comments are left alone. The vendored, minified Leaflet names a
source map we do not ship, and the manifest storage would refuse to collect it."""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _not_source_maps(patterns):
    def pattern_text(entry):
        return entry[0] if isinstance(entry, tuple) else entry

    return tuple(
        (extension, tuple(p for p in found if "sourceMappingURL" not in pattern_text(p)))
        for extension, found in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _not_source_maps(HashedFilesMixin.patterns)
