/** 系统管理（管理员）的文字。 */
export default {
  admin: {
    menu: "系统管理",
    users: { title: "用户与角色" },
    programmes: { title: "培育项目" },
    rules: { title: "认定规则与门槛", editTitle: "编辑规则" },
    reports: { title: "报表口径与标签组" },
    channels: { title: "通知渠道" },
    jobs: { title: "任务运行" },
  },
};
