// The print page's button: the browser's own print dialogue, where "Save as PDF" is.
document.getElementById("print-button").addEventListener("click", () => window.print());
