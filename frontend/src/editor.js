// The code editor of jaxjudge's pages: CodeMirror 6 with Python, exposed as window.jaxjudgeEditor.
// Bundled by `make install` (npm ci && npm run build) into app/web/static/build/editor.js.
import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { EditorState, Prec } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

// Mount an editor in `parent` holding `doc`. `onChange(text)` follows every edit (drafts);
// `onSubmit()` runs on Ctrl/Cmd+Enter. Tab indents; Escape then Tab leaves the editor (keyboard users).
function create(parent, { doc = "", onChange = () => {}, onSubmit = () => {}, label = "Code editor" } = {}) {
  const submitKeys = Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { onSubmit(); return true; } }]));
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        submitKeys,
        basicSetup,
        keymap.of([indentWithTab]),
        indentUnit.of("    "),
        python(),
        EditorView.lineWrapping,  // a long line wraps instead of running off a narrow editor
        // tabindex: the content is already a tab stop (contenteditable); said outright, axe sees that the
        // scroller around it can be scrolled from the keyboard (scrollable-region-focusable).
        EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" }),
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
  };
}

window.jaxjudgeEditor = { create };
