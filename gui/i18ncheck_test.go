package gui

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The check that every string a user can see goes through Fyne's lang
// package. It reads the package's source rather than the running app, so a
// string on a screen no test opens is caught too. A string literal with a
// letter in it is an error unless it is:
//
//   - a translation key: the first argument of lang.L, lang.N, lang.X or
//     lang.XN, or of i18nKey (for keys translated later, gettext's N_); a
//     constant used as such a key is one too;
//   - a template value's name (args{"Name": …});
//   - for the machine, not for people: an import path, a struct tag, a log
//     message, a comparison or switch case, an argument of a function of
//     the packages in machineFuncs, a constant in nonTextConsts, a value in
//     nonTextValues, or anything in the files and functions listed below.
//
// The errors name the file, the line and the string, and say what to do.

// nonTextFiles are written for maintainers, in English whatever the UI
// language: the diagnostics report pasted into bug reports, the figures of
// `make smoke`, and the icons' SVG paths.
var nonTextFiles = map[string]bool{"diagreport.go": true, "smoke.go": true, "icons.go": true}

// nonTextFuncs are functions whose strings are names for machines or logs.
var nonTextFuncs = map[string]bool{
	"String":        true, // enums' names in logs
	"recordingName": true, // file names
	"recordDir":     true,
	"deviceID":      true,
	"commandLine":   true, // duet's flags
}

// machineFuncs are packages and functions whose string arguments are not
// shown to anyone.
var machineFuncs = map[string]bool{
	"strings": true, "filepath": true, "os": true, "url": true, "slog": true,
	"fyne.NewStaticResource": true, "fyne.LogError": true, "svgIcon": true,
	"proto.ValidateAccount":  true, // the name of the field it checks
	"lang.AddTranslationsFS": true,
	"fmt.Errorf":             true, // errors for main to print and for the log
}

// nonTextConsts are constants that hold names and values, not words.
var nonTextConsts = map[string]bool{
	"appID": true, "defaultServerURL": true, "res480p": true, "res720p": true,
	"languageEnglish": true, "languageChinese": true,
}

// nonTextValues are strings a user sees that are the same in every
// language.
var nonTextValues = map[string]bool{
	"Duet":   true, // the app's name
	"fyneDo": true, // a Fyne migration's name

}

// logMethods are the methods of *slog.Logger.
var logMethods = map[string]bool{"Debug": true, "Info": true, "Warn": true, "Error": true, "Log": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true}

// keyFuncs take a translation key as their first argument.
var keyFuncs = map[string]bool{"lang.L": true, "lang.N": true, "lang.X": true, "lang.XN": true,
	"lang.Localize": true, "lang.LocalizePlural": true, "lang.LocalizeKey": true, "lang.LocalizePluralKey": true,
	"i18nKey": true}

// stringCheck is what checkStrings found in a package's files.
type stringCheck struct {
	leaks []string            // "file:line: message"
	keys  map[string][]string // translation key → where it is used
}

// checkStrings checks the files (name → source) of one package.
func checkStrings(files map[string]string) (stringCheck, error) {
	res := stringCheck{keys: map[string][]string{}}
	fset := token.NewFileSet()
	parsed := map[string]*ast.File{}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	consts := map[string]ast.Expr{}
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, files[name], 0)
		if err != nil {
			return res, err
		}
		parsed[name] = f
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	var eval func(ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			}
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				a, ok1 := eval(e.X)
				b, ok2 := eval(e.Y)
				return a + b, ok1 && ok2
			}
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.Ident:
			if v, ok := consts[e.Name]; ok {
				return eval(v)
			}
		}
		return "", false
	}

	keyConsts := map[string]bool{} // constants used as keys
	type constUse struct {
		name, where string
	}
	var looseConsts []constUse // key constants used other than as keys
	for _, name := range names {
		f := parsed[name]
		base := filepath.Base(name)
		if nonTextFiles[base] {
			continue
		}
		where := func(n ast.Node) string {
			p := fset.Position(n.Pos())
			return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
		}
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			switch n := n.(type) {
			case *ast.ImportSpec:
				stack = stack[:len(stack)-1]
				return false
			case *ast.Field:
				n.Tag = nil // struct tags
			case *ast.FuncDecl:
				if nonTextFuncs[n.Name.Name] {
					stack = stack[:len(stack)-1]
					return false
				}
			case *ast.GenDecl:
				if n.Tok == token.CONST {
					for _, s := range n.Specs {
						vs := s.(*ast.ValueSpec)
						for i, id := range vs.Names {
							if i < len(vs.Values) && !nonTextConsts[id.Name] && !strings.HasPrefix(id.Name, "pref") {
								if v, ok := eval(vs.Values[i]); ok && hasWords(v) {
									looseConsts = append(looseConsts, constUse{"const " + id.Name, where(id)})
								}
							}
						}
					}
					stack = stack[:len(stack)-1]
					return false // checked once it is known whether they are keys
				}
			case *ast.CallExpr:
				fn := funcName(n.Fun)
				if keyFuncs[fn] && len(n.Args) > 0 {
					if id, ok := n.Args[0].(*ast.Ident); ok {
						keyConsts[id.Name] = true
					}
					if k, ok := eval(n.Args[0]); ok {
						res.keys[k] = append(res.keys[k], where(n))
					} else if fn != "lang.L" {
						res.leaks = append(res.leaks, fmt.Sprintf("%s: the key of %s must be a string or a constant", where(n), fn))
					}
					// lang.L(v) with v a variable: its keys come from i18nKey.
					stack = stack[:len(stack)-1]
					return false
				}
				if allowedCall(fn, n) {
					stack = stack[:len(stack)-1]
					return false
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "args" {
					for _, e := range n.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							kv.Key = &ast.Ident{Name: "_"} // template names
						}
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					stack = stack[:len(stack)-1]
					return false
				}
			case *ast.CaseClause:
				n.List = nil
			case *ast.Ident:
				if _, isConst := consts[n.Name]; isConst && len(stack) > 1 {
					looseConsts = append(looseConsts, constUse{n.Name, where(n)})
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil && hasWords(s) && !nonTextValues[s] {
						res.leaks = append(res.leaks, fmt.Sprintf("%s: %q is not translated: wrap it in lang.L (and run the translations test with -update-translations)", where(n), s))
					}
				}
			}
			return true
		})
	}
	// A constant that is a key must not reach the screen without lang.L;
	// one that is not a key is a string like any other.
	for _, c := range looseConsts {
		if name, ok := strings.CutPrefix(c.name, "const "); ok {
			if !keyConsts[name] {
				v, _ := eval(consts[name])
				res.leaks = append(res.leaks, fmt.Sprintf("%s: constant %s = %q is never translated: use it as lang.L(%s)", c.where, name, v, name))
			}
			continue
		}
		if keyConsts[c.name] {
			res.leaks = append(res.leaks, fmt.Sprintf("%s: %s is a translation key: show lang.L(%s), not the key", c.where, c.name, c.name))
		}
	}
	sort.Strings(res.leaks)
	return res, nil
}

// allowedCall reports whether a call's string arguments are for machines.
func allowedCall(fn string, call *ast.CallExpr) bool {
	if machineFuncs[fn] {
		return true
	}
	if pkg, _, ok := strings.Cut(fn, "."); ok && machineFuncs[pkg] {
		return true
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok && logMethods[sel.Sel.Name] {
		return true
	}
	return false
}

// funcName is "pkg.F", "F" or, for a method, "x.M" with x the last name
// before it ("u.log.Info" → "log.Info").
func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		switch x := e.X.(type) {
		case *ast.Ident:
			return x.Name + "." + e.Sel.Name
		case *ast.SelectorExpr:
			return x.Sel.Name + "." + e.Sel.Name
		}
		return e.Sel.Name
	}
	return ""
}

// fmtVerb and templateAction are left out when looking for words.
var (
	fmtVerb        = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z]`)
	templateAction = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// hasWords reports whether s has a letter outside format verbs and
// template actions: "", " · ", "%d:%02d" and "{{.Name}}" have none.
func hasWords(s string) bool {
	s = templateAction.ReplaceAllString(fmtVerb.ReplaceAllString(s, ""), "")
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}
