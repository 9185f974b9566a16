"""What a plan becomes: the HTML report and its charts, the council brief, the PDF, the Word
and spreadsheet copies (with their shared action table and zip writer), and the starter
documents."""
