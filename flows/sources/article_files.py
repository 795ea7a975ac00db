"""Article text files in the seed format, from a folder, files or URLs."""

from flows.sources import Kind
from transforms import articles

KIND = Kind(
    name="article-files",
    transform=articles.parse,
    tables=("articles", "article_facts", "article_places"),
    patterns=("*.txt",),
)
