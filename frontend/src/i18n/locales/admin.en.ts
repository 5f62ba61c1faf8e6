/** Administration (administrators only). */
export default {
  admin: {
    menu: "Administration",
    users: { title: "Users and roles" },
    programmes: { title: "Programmes" },
    rules: { title: "Rules and thresholds", editTitle: "Edit rule set" },
    reports: { title: "Report lines and tag groups" },
    channels: { title: "Notification channels" },
    jobs: { title: "Job runs" },
  },
};
