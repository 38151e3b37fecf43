package emulator

import "net/http"

// routes registers every operation the sandbox serves. Paths are the
// OpenAPI document's templates with {v} for the REST version, so request
// counts and scope checks line up with the document.
func (e *Emulator) routes() {
	e.mux = http.NewServeMux()

	e.op("GET", "/rest/api/{v}/myself", authText, (*call).handleMyself)
	e.op("GET", "/rest/api/{v}/serverInfo", anon, (*call).handleServerInfo)

	e.op("GET", "/rest/api/{v}/project/search", anon|cloudOnly, (*call).handleProjectSearch)
	e.op("GET", "/rest/api/{v}/project", anon, (*call).handleProjectList)
	e.op("GET", "/rest/api/{v}/project/{projectIdOrKey}", anon, (*call).handleGetProject)
	e.op("GET", "/rest/api/{v}/project/{projectIdOrKey}/versions", anon, (*call).handleProjectEmptyList)
	e.op("GET", "/rest/api/{v}/project/{projectIdOrKey}/components", anon, (*call).handleProjectEmptyList)
	e.op("GET", "/rest/api/{v}/projects/picker", anon|dcOnly, (*call).handleProjectPicker)
	e.op("GET", "/rest/api/{v}/mypermissions", anon, (*call).handleMyPermissions)

	e.op("POST", "/rest/api/{v}/issue", 0, (*call).handleCreateIssue)
	e.op("POST", "/rest/api/{v}/issue/bulk", 0, (*call).handleBulkCreate)
	e.op("POST", "/rest/api/{v}/issue/bulkfetch", anon|cloudOnly, (*call).handleBulkFetch)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}", anon, (*call).handleGetIssue)
	e.op("PUT", "/rest/api/{v}/issue/{issueIdOrKey}", 0, (*call).handleEditIssue)
	e.op("PUT", "/rest/api/{v}/issue/{issueIdOrKey}/assignee", 0, (*call).handleAssign)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/transitions", anon, (*call).handleGetTransitions)
	e.op("POST", "/rest/api/{v}/issue/{issueIdOrKey}/transitions", 0, (*call).handleDoTransition)
	e.op("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}", 0, (*call).handleDeleteIssue)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/editmeta", anon, (*call).handleEditmeta)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/comment", anon, (*call).handleGetComments)
	e.op("POST", "/rest/api/{v}/issue/{issueIdOrKey}/comment", 0, (*call).handleAddComment)

	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/watchers", anon, (*call).handleGetWatchers)
	e.op("POST", "/rest/api/{v}/issue/{issueIdOrKey}/watchers", 0, (*call).handleAddWatcher)
	e.op("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}/watchers", 0, (*call).handleRemoveWatcher)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/worklog", anon, (*call).handleGetWorklogs)
	e.op("POST", "/rest/api/{v}/issue/{issueIdOrKey}/worklog", 0, (*call).handleAddWorklog)
	e.op("GET", "/rest/api/{v}/issue/{issueIdOrKey}/remotelink", anon, (*call).handleGetRemoteLinks)
	e.op("POST", "/rest/api/{v}/issue/{issueIdOrKey}/remotelink", 0, (*call).handleAddRemoteLink)
	e.op("POST", "/rest/api/{v}/issueLink", 0, (*call).handleCreateLink)
	e.op("GET", "/rest/api/{v}/issueLink/{linkId}", anon, (*call).handleGetLink)
	e.op("DELETE", "/rest/api/{v}/issueLink/{linkId}", 0, (*call).handleDeleteLink)
	e.op("GET", "/rest/api/{v}/issueLinkType", anon, (*call).handleLinkTypes)
	e.op("GET", "/rest/api/{v}/issueLinkType/{issueLinkTypeId}", anon, (*call).handleLinkType)
	e.op("GET", "/rest/api/{v}/resolution", anon, (*call).handleResolutions)

	e.op("GET", "/rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes", anon, (*call).handleCreatemetaTypes)
	e.op("GET", "/rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}", anon, (*call).handleCreatemetaFields)
	e.op("GET", "/rest/api/{v}/field", anon, (*call).handleFields)
	e.op("GET", "/rest/api/{v}/issuetype", anon, (*call).handleIssueTypes)
	e.op("GET", "/rest/api/{v}/priority", anon, (*call).handlePriorities)
	e.op("GET", "/rest/api/{v}/priority/search", anon|cloudOnly, (*call).handlePrioritySearch)

	e.op("GET", "/rest/api/{v}/user/search", anon|userSearch, (*call).handleUserSearch)
	e.op("GET", "/rest/api/{v}/user/assignable/search", anon|userSearch, (*call).handleAssignableSearch)

	e.op("GET", "/rest/api/{v}/search/jql", anon|cloudOnly, (*call).handleSearchJQLGet)
	e.op("POST", "/rest/api/{v}/search/jql", anon|cloudOnly, (*call).handleSearchJQLPost)
	e.op("POST", "/rest/api/{v}/search/approximate-count", anon|cloudOnly, (*call).handleApproximateCount)
	e.op("GET", "/rest/api/{v}/search", anon|cloudOnly, (*call).handleSearchGone)
	e.op("POST", "/rest/api/{v}/search", anon|cloudOnly, (*call).handleSearchGone)
	e.op("GET", "/rest/api/{v}/search", anon|dcOnly, (*call).handleSearchDC)
	e.op("POST", "/rest/api/{v}/search", anon|dcOnly, (*call).handleSearchDC)

	e.agileRoutes()
	e.siteRoutes()
}
