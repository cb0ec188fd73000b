"""Community character cards and lorebooks (INTERCHANGE.md): reading V1/V2/V3 cards from PNG,
JSON and CHARX files into Dramaturg characters, and lorebooks (SillyTavern World Info,
`lorebook_v3`, card books, Agnai, RisuAI, NovelAI, Kobold Lite) into Dramaturg lorebooks, each
with a field-by-field report; writing characters back as cards and lorebooks as World Info or
`lorebook_v3`. Pure and blocking (parsing, inflating, zipping): the services call it from
worker threads.
"""

from runtime.interchange._book_file import UnreadableBook as UnreadableBook
from runtime.interchange._book_file import read_book_upload as read_book_upload
from runtime.interchange._book_file import read_book_value as read_book_value
from runtime.interchange._book_file import reread_book as reread_book
from runtime.interchange._book_reader import BookReading as BookReading
from runtime.interchange._book_writer import write_card_book as write_card_book
from runtime.interchange._book_writer import write_lorebook_v3 as write_lorebook_v3
from runtime.interchange._book_writer import write_world_info as write_world_info
from runtime.interchange._card_file import CardLimits as CardLimits
from runtime.interchange._card_file import Picture as Picture
from runtime.interchange._card_file import UnreadableCard as UnreadableCard
from runtime.interchange._card_file import picture_from_bytes as picture_from_bytes
from runtime.interchange._card_reader import JsonObject as JsonObject
from runtime.interchange._card_reader import NormalizedCard as NormalizedCard
from runtime.interchange._card_writer import write_card as write_card
from runtime.interchange._embedded_book import read_embedded_book as read_embedded_book
from runtime.interchange._export_files import charx_card_file as charx_card_file
from runtime.interchange._export_files import json_card_file as json_card_file
from runtime.interchange._export_files import png_card_file as png_card_file
from runtime.interchange._file_kinds import image_type as image_type
from runtime.interchange._file_kinds import what_the_bytes_are as what_the_bytes_are
from runtime.interchange._mapping import CardCharacter as CardCharacter
from runtime.interchange._placeholder import placeholder_png as placeholder_png
from runtime.interchange._png import PngLimits as PngLimits
from runtime.interchange._png import UnsafePng as UnsafePng
from runtime.interchange._reading import CardReading as CardReading
from runtime.interchange._reading import read_card_upload as read_card_upload
from runtime.interchange._reading import read_card_value as read_card_value
from runtime.interchange._reading import reread_card as reread_card
from runtime.interchange._report import ReportLines as ReportLines

__all__ = [
    "BookReading",
    "CardCharacter",
    "CardLimits",
    "CardReading",
    "JsonObject",
    "NormalizedCard",
    "Picture",
    "PngLimits",
    "ReportLines",
    "UnreadableBook",
    "UnreadableCard",
    "UnsafePng",
    "charx_card_file",
    "image_type",
    "json_card_file",
    "picture_from_bytes",
    "placeholder_png",
    "png_card_file",
    "read_book_upload",
    "read_book_value",
    "read_card_upload",
    "read_card_value",
    "read_embedded_book",
    "reread_book",
    "reread_card",
    "what_the_bytes_are",
    "write_card",
    "write_card_book",
    "write_lorebook_v3",
    "write_world_info",
]
