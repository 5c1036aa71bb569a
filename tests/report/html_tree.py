"""A small reader of the report's HTML with the standard library's ``html.parser`` (lxml/bs4 are not installed)."""

from html.parser import HTMLParser


class ReportParser(HTMLParser):
    """Collects tables by id (header and rows of cell text), image sources, every tag's attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict] = {}
        self.images: list[str] = []
        self.image_attrs: list[dict] = []   # every attribute of each <img>
        self.attributes: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.style = ""
        self.text: list[str] = []
        self.section_ids: list[str] = []
        self._table = None
        self._row = None
        self._cell = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.attributes += [(tag, k, v or "") for k, v in attrs.items()]
        if tag == "section":
            self.section_ids.append(attrs.get("id", ""))
        elif tag == "img":
            self.images.append(attrs.get("src", ""))
            self.image_attrs.append(attrs)
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"anonymous-{len(self.tables)}"),
                                                 {"header": [], "rows": []})
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("th" if tag == "th" else "td", "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if all(kind == "th" for kind, _ in self._row):
                self._table["header"] = [text for _, text in self._row]
            else:
                self._table["rows"].append([text for _, text in self._row])
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_style:
            self.style += data
        self.text.append(data)


def parse_report(path) -> ReportParser:
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser
