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
from runtime.archives._data_package import PKG_FORMAT as PKG_FORMAT
from runtime.archives._data_package import PKG_MIME as PKG_MIME
from runtime.archives._data_package import DataPackage as DataPackage
from runtime.archives._data_package import PackagedCharacter as PackagedCharacter
from runtime.archives._data_package import PackagedCover as PackagedCover
from runtime.archives._data_package import data_package_file_name as data_package_file_name
from runtime.archives._data_package import invalid_package as invalid_package
from runtime.archives._data_package import read_data_package as read_data_package
from runtime.archives._data_package import write_data_package as write_data_package
from runtime.archives._safe_zip import UnsafeArchive as UnsafeArchive
from runtime.archives._safe_zip import ZipLimits as ZipLimits
from runtime.archives._safe_zip import read_zip_entries as read_zip_entries

__all__ = [
    "CHR_FORMAT",
    "CHR_MIME",
    "PKG_FORMAT",
    "PKG_MIME",
    "CharacterArchive",
    "CharacterArchiveManifest",
    "DataPackage",
    "PackagedCharacter",
    "PackagedCover",
    "UnsafeArchive",
    "ZipLimits",
    "character_archive_file_name",
    "data_package_file_name",
    "invalid_package",
    "read_character_archive",
    "read_data_package",
    "read_zip_entries",
    "write_character_archive",
    "write_data_package",
]
