"""ZIP archive formats that travel on the binary routes, and the safe reader they share.

Everything here blocks (ZIP and deflate work): call it through `trio.to_thread.run_sync`.
"""

from runtime.archives._character_card import CHR_FORMAT as CHR_FORMAT
from runtime.archives._character_card import CHR_MIME as CHR_MIME
from runtime.archives._character_card import CharacterArchive as CharacterArchive
from runtime.archives._character_card import CharacterArchiveManifest as CharacterArchiveManifest
from runtime.archives._character_card import character_archive_file_name as character_archive_file_name
from runtime.archives._character_card import read_character_archive as read_character_archive
from runtime.archives._character_card import write_character_archive as write_character_archive
from runtime.archives._safe_zip import UnsafeArchive as UnsafeArchive
from runtime.archives._safe_zip import ZipLimits as ZipLimits
from runtime.archives._safe_zip import read_zip_entries as read_zip_entries

__all__ = [
    "CHR_FORMAT",
    "CHR_MIME",
    "CharacterArchive",
    "CharacterArchiveManifest",
    "UnsafeArchive",
    "ZipLimits",
    "character_archive_file_name",
    "read_character_archive",
    "read_zip_entries",
    "write_character_archive",
]
