"""What each section shows: the document context, the section registry, blocks, charts."""
