package api

import (
	"net/http"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// access says who may call a route.
type access int

const (
	public  access = iota // no key needed
	read                  // any role but agent
	operate               // admin and operator: campaign routes
	write                 // admin: ingestion
	// The agent role (hotline and store staff) may use the call-task
	// routes and nothing else.
	callRead // any role, agent too: list call tasks
	callWork // admin, operator and agent: assign a task, record its result
)

func (a access) allows(role string) bool {
	switch a {
	case public, callRead:
		return true
	case read:
		return role != store.RoleAgent
	case operate:
		return role == store.RoleAdmin || role == store.RoleOperator
	case callWork:
		return role == store.RoleAdmin || role == store.RoleOperator || role == store.RoleAgent
	}
	return role == store.RoleAdmin
}

// handlerFunc serves one route; key is the caller's key (zero on public
// routes). An error is turned into a response by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, key store.APIKey) error

type route struct {
	pattern string // a ServeMux pattern, "METHOD /path"
	access  access
	handler handlerFunc
}

// routes is the route table. openapi.json describes every entry (see
// TestOpenAPICoversRoutes).
func (s *server) routes() []route {
	return []route{
		{"GET /v1/health", public, s.health},
		{"GET /v1/openapi.json", public, s.openAPI},
		{"GET /v1/stats", read, s.stats},
		{"GET /v1/customers/{ref}", read, s.customer},
		{"POST /v1/customers", write, s.postCustomers},
		{"POST /v1/items", write, s.postItems},
		{"POST /v1/orders", write, s.postOrders},
		{"POST /v1/events", write, s.postEvents},
		{"GET /v1/features/settings", read, s.featureSettings},
		{"PUT /v1/features/settings", write, s.putFeatureSettings},
		{"GET /v1/tags", read, s.tags},
		{"PUT /v1/tags", operate, s.putTags},
		{"GET /v1/tags/{name}", read, s.tagOne},
		{"DELETE /v1/tags/{name}", operate, s.deleteTag},
		{"GET /v1/segments", read, s.segments},
		{"POST /v1/segments", operate, s.saveSegment},
		{"POST /v1/segments/count", read, s.countSegment},
		{"GET /v1/segments/{name}", read, s.segmentOne},
		{"DELETE /v1/segments/{name}", operate, s.deleteSegment},
		{"GET /v1/admission", read, s.admissionList},
		{"POST /v1/admission", operate, s.addAdmission},
		{"DELETE /v1/admission/{list}/{customer}", operate, s.removeAdmission},
		{"GET /v1/admission/rules", read, s.admissionRules},
		{"POST /v1/admission/rules", operate, s.applyAdmissionRule},
		{"GET /v1/models", read, s.models},
		{"POST /v1/models/clv/fit", operate, s.fitCLV},
		{"GET /v1/customers/{ref}/predictions", read, s.predictions},
		{"GET /v1/customers/{ref}/recommendations", read, s.customerRecommendations},
		{"POST /v1/recommendations/cart", read, s.cartRecommendations},
		{"GET /v1/offers", read, s.mk(s.offers)},
		{"POST /v1/offers", operate, s.mk(s.saveOffer)},
		{"GET /v1/offers/{name}", read, s.mk(s.offerOne)},
		{"GET /v1/offers/{name}/why/{ref}", read, s.mk(s.offerWhy)},
		{"GET /v1/policy", read, s.mk(s.policy)},
		{"PUT /v1/policy", operate, s.mk(s.putPolicy)},
		{"GET /v1/contact-rules", read, s.mk(s.contactRules)},
		{"PUT /v1/contact-rules", write, s.mk(s.putContactRules)},
		{"GET /v1/campaigns", read, s.mk(s.campaigns)},
		{"POST /v1/campaigns", operate, s.mk(s.saveCampaign)},
		{"GET /v1/campaigns/{name}", read, s.mk(s.campaignOne)},
		{"POST /v1/campaigns/{name}/preview", read, s.mk(s.previewCampaign)},
		{"GET /v1/campaigns/{name}/report", read, s.mk(s.campaignReport)},
		{"POST /v1/campaigns/{name}/{action}", operate, s.mk(s.campaignAction)},
		{"GET /v1/customers/{ref}/next-best-offers", read, s.mk(s.nextBestOffers)},
		{"GET /v1/customers/{ref}/campaign-decisions", read, s.mk(s.campaignDecisions)},
		{"GET /v1/customers/{ref}/contacts", read, s.customerContacts},
		{"POST /v1/contacts", operate, s.mk(s.postContacts)},
		{"GET /v1/calls", callRead, s.mk(s.calls)},
		{"POST /v1/calls/{id}/{action}", callWork, s.mk(s.callAction)},
		{"GET /v1/unsubscribe", public, s.mk(s.unsubscribePage)},
		{"POST /v1/unsubscribe", public, s.mk(s.unsubscribe)},
		{"GET /v1/lifecycle/flows", read, s.lifecycleFlows},
	}
}
