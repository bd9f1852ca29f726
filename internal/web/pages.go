package web

import "net/http"

// navItem is an entry of the navigation bar.
type navItem struct {
	Path string
	Key  string // message key of its label
	// AdminOnly entries are shown to admins only (the others would get a 403).
	AdminOnly bool
}

// nav lists the console's sections. A new section (models, recommendations,
// campaigns, uplift) adds its entry here, its routes below and a template.
var nav = []navItem{
	{"/", "nav.overview", false},
	{"/import", "nav.import", true},
	{"/customers", "nav.customers", false},
	{"/tags", "nav.tags", false},
	{"/segments", "nav.segments", false},
	{"/admission", "nav.admission", false},
	{"/offers", "nav.offers", false},
	{"/campaigns", "nav.campaigns", false},
	{"/calls", "nav.calls", false},
	{"/contact-rules", "nav.rules", false},
	{"/models", "nav.models", false},
}

// routes is the console's route table.
func (s *Server) routes() []route {
	return []route{
		{"GET /login", public, s.loginPage},
		{"POST /login", public, s.login},
		{"POST /logout", loggedIn, s.logout},
		{"GET /lang", public, s.setLang},
		{"GET /{$}", read, s.overviewPage},
		{"GET /customers", read, s.customersPage},
		{"GET /customers/{id}", read, s.customerPage},
		{"GET /tags", read, s.tagsPage},
		{"GET /tags/new", read, s.tagEditor},
		{"GET /tags/{name}", read, s.tagEditor},
		{"POST /tags", operate, s.saveTag},
		{"POST /tags/{name}/delete", operate, s.deleteTag},
		{"GET /segments", read, s.segmentsPage},
		{"GET /segments/new", read, s.segmentEditor},
		{"GET /segments/{name}", read, s.segmentEditor},
		{"GET /segments/{name}/export.csv", read, s.exportSegment},
		{"POST /segments", operate, s.saveSegment},
		{"POST /segments/{name}/delete", operate, s.deleteSegment},
		{"POST /rule/count", read, s.countRule},
		{"GET /admission", read, s.admissionPage},
		{"POST /admission/add", operate, s.addAdmission},
		{"POST /admission/remove", operate, s.removeAdmission},
		{"POST /admission/rule", operate, s.saveAdmissionRule},
		{"GET /import", write, s.importPage},
		{"POST /import", write, s.importFile},
		{"GET /offers", read, s.offersPage},
		{"GET /offers/new", read, s.offerEditor},
		{"GET /offers/{name}", read, s.offerEditor},
		{"POST /offers", operate, s.saveOffer},
		{"GET /campaigns", read, s.campaignsPage},
		{"GET /campaigns/new", read, s.campaignEditor},
		{"GET /campaigns/{name}", read, s.campaignPage},
		{"GET /campaigns/{name}/edit", read, s.campaignEditor},
		{"GET /campaigns/{name}/preview", read, s.campaignPreview},
		{"GET /campaigns/{name}/report", read, s.campaignReport},
		{"POST /campaigns", operate, s.saveCampaign},
		{"POST /campaigns/{name}/{action}", operate, s.campaignAction},
		{"GET /calls", callRead, s.callsPage},
		{"GET /calls/{id}", callRead, s.callPage},
		{"POST /calls/{id}/take", callWork, s.takeCall},
		{"POST /calls/{id}/result", callWork, s.callResult},
		{"GET /models", read, s.modelsPage},
		{"GET /contact-rules", read, s.contactRulesPage},
		{"POST /contact-rules", write, s.saveContactRules},
		{"GET /", public, s.notFound},
	}
}

func (s *Server) notFound(http.ResponseWriter, *http.Request, *request) error {
	return errPage(http.StatusNotFound, "error.not_found")
}

// errNoInsight answers the intelligence pages of a server without it.
var errNoInsight = errPage(http.StatusServiceUnavailable, "error.no_insight")
