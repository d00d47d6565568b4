package i18n

// InputMessage is what a person reads about input the rules refused (account.InputError): the
// error's own key when the catalog has it, else "<scope><field>" for each scope in turn (the
// console asks "console.input." before "input."), else "input.other". The mini-program and the
// console both pick their text this way.
func (t Translator) InputMessage(key, field string, data map[string]any, scopes ...string) string {
	if key != "" && t.Has(key) {
		return t.Tf(key, data)
	}
	for _, scope := range scopes {
		if k := scope + field; field != "" && t.Has(k) {
			return t.Tf(k, data)
		}
	}
	return t.T("input.other")
}
